"""Indicators of the plan (issue 16): what was referred, to whom, how fast, what became of it.

``model`` says what an indicator, a question and a figure are; each family of indicators has
its module that declares and computes them (``referrals``, ``parcours``, ``committees``);
``catalogue`` gathers them; ``presentation`` writes a figure for a person.
"""
