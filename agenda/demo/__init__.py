"""The demo seed: a programme, meetings and papers made through the domain functions.

The topmost layer: it may import everything, and nothing imports it.
"""
