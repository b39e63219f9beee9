"""The REST API behind the cluster page (DRF, served under `/api/`)."""
