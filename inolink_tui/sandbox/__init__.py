"""A faithful local simulator of Entra ID, Dataverse, Intuit OAuth and QuickBooks Online.

It stands apart from the rest of the package: it imports nothing of ours but `inolink_tui.domain`.
"""
