"""The sync engine: InoLink's three services over Dynamics 365 and QuickBooks Online.

- `runtime.Engine`: what the console and the daemon drive (start/stop, run_once, services, run_now,
  pause/resume, connections, bus); `factory.build_engine(settings, store)` builds it from config.
- `cycles`: the CRM to QuickBooks, High Priority and Low Priority cycles (find work, enqueue, drain).
- `processor`: one Link Job against both systems (mapping, name matching, dependencies, write-back).
- `workers`: bounded worker pools per direction, with lease heartbeats.
- `scheduler`: InoLink's days / window / interval on APScheduler, with a run-again flag.
- `mirror`: Link Jobs mirrored to CRM's ino_linkjobs, and requeues made there.
- `feed`: the store's change feed as events, for consoles attached to another process.
- `ports` / `adapters`: the narrow views of the two APIs the engine needs, and their real implementations.

Submodules are imported directly; this package imports nothing so that `--no-ui` and the CLI pay
only for what they use.
"""
