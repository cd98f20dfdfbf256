"""Demo data of G4 (being built: issue 14)."""


def demo_plans(users):
    pass
