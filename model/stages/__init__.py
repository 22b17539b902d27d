"""The stages of a period, a module each, composed in order by
``HealthEconomyModel.advance_period`` (``model/simulation.py``):

contract_year, demand_draw, choices, care_delivery, settling, observing, booking,
failure_exit, (the alliance's governance, ``agents/governance.py``), collection.

Each stage is a function of the model's state and the stage's inputs (the period's
need, the ``Delivery``, the settlement entries), with its rules as small functions
beside it; its module docstring names its inputs, outputs and random streams.
``settling`` hands the period to the payment core (``model/payment/settlement.py``),
which does all the money arithmetic of the contracts.
"""
