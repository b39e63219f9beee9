"""The default profile's plugins, one module each."""
