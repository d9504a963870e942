"""The /realtime WebSocket protocol: messages, handshake, connections and the hub."""
