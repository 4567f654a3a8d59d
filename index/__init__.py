"""Baoku's index layer: parse issues into articles, chunk, embed, store, and update the index."""
