"""Pure helpers over Kubernetes objects held as plain JSON dicts."""
