"""The web product: pages, REST API, live WebSocket stream, accounts, classes and labs."""
