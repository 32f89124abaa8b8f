"""``python -m salesmetrics`` runs the command line."""

from .report.cli import main

raise SystemExit(main())
