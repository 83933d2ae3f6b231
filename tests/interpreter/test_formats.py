"""Declared formats: one person, however the number is typed."""

import random

import pytest

from interpreter.formats import (
    FormatError,
    canonical_resident_id,
    generate_resident_id,
    mask_name,
    mask_resident_id,
    normalise_resident_id,
    resident_id_check_digit,
)

VALID = "11010519491231002X"  # the example of GB 11643-1999


def test_check_digit_of_the_standard_example():
    assert resident_id_check_digit(VALID[:17]) == "X"
    assert normalise_resident_id(VALID) == VALID


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",  # lower-case x
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter
        " 110105 19491231 002X ",  # spaces
        "1101051949\u200b1231002X",  # zero-width space
        "\ufeff11010519491231002X\u202e",  # BOM and a bidi override
        "110105\u300019491231002X",  # ideographic space
    ],
)
def test_spellings_of_one_person(typed):
    assert normalise_resident_id(typed) == VALID


def test_old_fifteen_digit_form_is_the_same_person():
    old = "110105491231002"
    assert normalise_resident_id(old) == VALID


@pytest.mark.parametrize(
    "bad, words",
    [
        ("110105194912310021", "check digit"),
        ("1101051949123100", "18 characters"),
        ("11010519491331002X", "date of birth"),
        ("11010519491231A02X", "17 digits"),
        ("11010549123100A", "digits only"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "17 digits"),  # Arabic-Indic digits are not ID digits
    ],
)
def test_bad_numbers_are_refused_in_plain_words(bad, words):
    with pytest.raises(FormatError) as e:
        normalise_resident_id(bad)
    assert words in e.value.message


def test_masks():
    assert mask_resident_id("370405198702284417") == "3704**********4417"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"


def test_generated_numbers_are_valid_and_seeded():
    a = [generate_resident_id(random.Random(7)) for _ in range(3)]
    b = [generate_resident_id(random.Random(7)) for _ in range(3)]
    assert a == b
    rng = random.Random(1)
    for _ in range(500):
        n = generate_resident_id(rng)
        assert normalise_resident_id(n) == n


def test_check_digit_is_the_standards_weighted_sum():
    """The check digit computed by one int() in base 13 (the batch's way,
    formats._weighted) is the one GB 11643-1999 defines, digit by digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    rng = random.Random(11)
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        want = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
        assert resident_id_check_digit(body) == want
    # full-width digits are digits too (a 15-digit number typed so)
    assert resident_id_check_digit("１１０１０５１９４９１２３１００２") == "X"


def test_a_remembered_date_of_birth_does_not_let_an_impossible_one_pass():
    assert normalise_resident_id(VALID) == VALID  # 19491231 remembered
    for bad in ("110105194902300028", "110105180001010020", "110105194913010027"):
        with pytest.raises(FormatError, match="date of birth"):
            normalise_resident_id(bad)


def test_the_canonical_form_is_what_normalising_gives(monkeypatch):
    """canonical_resident_id (the batch's short cut) gives a number only when
    it is already what normalise_resident_id makes of it, whatever dates of
    birth were met before (none, in a new process), and None for everything
    normalising changes or refuses."""
    import interpreter.formats as F

    rng = random.Random(11)
    numbers = [generate_resident_id(rng, born_from=1900, born_until=2100) for _ in range(3000)]
    odd = [VALID, VALID.lower(), VALID[:6] + VALID[8:17], " " + VALID, "１" + VALID[1:]]
    odd += ["110105194902300028", "110105180001010020", "110105194913010027"]
    odd += ["110105210101010020", "11010519491231002Y", "11010519491231002", VALID + "0"]
    odd += [n[:17] + ("0" if n[17] != "0" else "1") for n in numbers[:300]]  # a wrong check digit
    # what int(body, 13) would read but is no ID digit: a letter of base 13,
    # an underscore, a superscript or full-width digit; a full-width X
    odd += [VALID[:10] + c + VALID[11:] for c in ("a", "C", "_", "²", "５", " ")]
    odd += [VALID[:17] + "Ｘ", VALID[:17] + "x"]
    for seen in (set(), set(F._BIRTHS_SEEN)):
        monkeypatch.setattr(F, "_BIRTHS_SEEN", seen)
        took = 0
        for text in numbers + odd:
            got = canonical_resident_id(text)
            try:
                want = normalise_resident_id(text)
            except FormatError:
                want = None
            if got is not None:
                took += 1
                assert got == text == want, text
            else:
                assert want != text, text
        assert took >= len(numbers)
