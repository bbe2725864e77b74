"""End-to-end tests: a real Home Assistant, its REST/websocket APIs, a browser."""
