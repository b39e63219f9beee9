"""Guided labs: the lab file format, its loader and the check language.

`format` and `checks` are pure (no Django): a check is evaluated over a plain snapshot
of a cluster (`observe` builds one from a live cluster).
"""
