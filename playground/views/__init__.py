"""Server-rendered pages (the diagram itself is drawn by ES modules in static/kubelab)."""
