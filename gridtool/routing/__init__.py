"""Patrol planning on road networks (see the routing issue)."""
