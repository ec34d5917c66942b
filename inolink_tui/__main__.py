from inolink_tui.cli import main

main()
