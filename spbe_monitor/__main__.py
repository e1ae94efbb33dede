from spbe_monitor.cli import main

main()
