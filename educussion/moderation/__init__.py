"""Moderation: reports, the queue, hiding and approving, thread tools, watched words, suspensions."""
