"""Placeholder: the demo market generator is being written."""


def demo_market(seed: int = 7):
    raise NotImplementedError
