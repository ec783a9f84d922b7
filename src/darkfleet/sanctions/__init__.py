"""Sanctions and ownership data as FollowTheMoney entities; explained vessel screening.

Loaders (``ofac``, ``un``, ``ftm_json``, ``watchlist``, ``facts``) turn list files into FtM
entities; ``store`` keeps each list version in the lake; ``screen`` scores vessel identities
with named, weighted features; ``listing`` answers "listed on day D?" from the versions;
``exposure`` follows ownership and "Linked To" relations; ``parties`` screens companies and
persons with nomenklatura's logic-v2; ``cli`` exposes it all.
"""

