"""Host candidates for ICE, loopback included.

aioice leaves 127.0.0.1 out of its host candidates, so on a machine whose only usable interface is
loopback (a container without a network, CI) no call could connect. We add it, and let a deployment
(or a test) pin the exact addresses it offers.
"""

from __future__ import annotations

from collections.abc import Sequence

import aioice.ice

_original_get_host_addresses = aioice.ice.get_host_addresses
LOOPBACK_V4 = "127.0.0.1"
# aioice checks consent every ~5 s and gives up after 6 unanswered checks (RFC 7675's 30 s): a
# client killed mid-session then held its slot for ~31 s. Three unanswered checks (~15 s) still
# ride out a brief network hiccup.
CONSENT_FAILURES = 3


def expire_consent_sooner(failures: int = CONSENT_FAILURES) -> None:
    """Fail a connection after `failures` consent checks in a row get no answer."""
    aioice.ice.CONSENT_FAILURES = failures


def use_host_addresses(addresses: Sequence[str]) -> None:
    """Offer exactly `addresses` as host candidates, or every interface plus loopback when empty."""
    pinned = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if pinned:
            return [a for a in pinned if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
        found = _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        return [*found, LOOPBACK_V4] if use_ipv4 and LOOPBACK_V4 not in found else found

    aioice.ice.get_host_addresses = host_addresses
