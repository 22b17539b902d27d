from alliancesim.cli import main

main()
