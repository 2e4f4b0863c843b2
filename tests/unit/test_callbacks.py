"""Button data is versioned, bounded and parsed strictly."""
import random
import string

import pytest

from quickcart import callbacks


def test_encoded_data_parses_back_to_typed_fields():
    data = callbacks.encode("pay", "q", 12, 3, "AbCd1234", 150_000)
    parsed = callbacks.parse(data)
    assert parsed.action == "pay" and parsed.args == ("q", 12, 3, "AbCd1234", 150_000)


def test_every_action_fits_telegrams_64_bytes_at_its_largest():
    samples = {"int": 999_999_999, "key": "ffffffff", "method": "q", "nonce": "Z" * 8, "amount": 999_999_999_999,
               "language": "xyz", "screen": "a"}
    for action, kinds in callbacks.ACTIONS.items():
        data = callbacks.encode(action, *(samples[kind] for kind in kinds))
        assert len(data.encode()) <= 64


@pytest.mark.parametrize("data", [
    None, "", "v1", "v1:", "v2:prod:1:1", "v1:prod:1", "v1:prod:1:1:1", "v1:prod:-1:1", "v1:prod:a:1",
    "v1:prod:1234567890:1", "v1:pay:x:1:1:AbCd1234:5", "v1:pay:q:1:1:short:5",
    "v1:pay:q:1:1:AbCd1234", "v1:pay:q:1:1:AbCd1234:1234567890123", "v1:unknown", "v1:cat:GGGGGGGG:0",
    "v1:prod:1:1\n", "v1:prod:１:1", "product_1_quantity_plus", "v1:" + "x" * 100,
    "v1:lang:EN:a", "v1:lang:english:a", "v1:lang:en:x", "v1:lang:en", "v1:lang:../:a",
])
def test_garbage_is_refused(data):
    assert callbacks.parse(data) is None


def test_random_payloads_never_raise():
    rng = random.Random(7)
    alphabet = string.printable + "ü€😀:"
    for _ in range(2000):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        callbacks.parse(data)  # must not raise


def test_encode_refuses_what_would_not_parse():
    with pytest.raises(ValueError):
        callbacks.encode("prod", -1, 1)
    with pytest.raises(ValueError):
        callbacks.encode("nope")
