from cistreams.cli import main

raise SystemExit(main())
