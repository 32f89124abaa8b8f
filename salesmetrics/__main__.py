"""``python -m salesmetrics`` runs the command line."""

from .reports.cli import main

raise SystemExit(main())
