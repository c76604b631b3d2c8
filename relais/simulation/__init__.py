"""``relais simulate``: a year of Paris referrals on a virtual clock, with SMTP faults and crashes.

The traffic goes through the real engine and services; the real sweep, delivery and digest run
on their schedules; a loopback SMTP relay counts what it actually received.
"""
