"""Composition: combine rules, gates, bounded transforms, group normalisation, length and cost terms."""
