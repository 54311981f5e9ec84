"""The reconnect backoff and the advice given to the person."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flooding.io.strap.backoff import (
    FIRST_DELAY_S,
    JITTER_FRACTION,
    MAX_DELAY_BLUETOOTH_OFF_S,
    MAX_DELAY_S,
    Failure,
    advice,
    failure_of,
    retry_delay_s,
)


class TestRetryDelay:
    def test_first_retry_after_a_drop_is_quick(self) -> None:
        """A momentary drop is retried within a quarter of a second."""
        assert retry_delay_s(1, Failure.DROPPED) == pytest.approx(0.25)

    def test_delay_doubles_per_attempt(self) -> None:
        """Each further failure doubles the wait until the cap."""
        assert [retry_delay_s(n, Failure.DROPPED) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 2.0]

    def test_delay_is_capped_and_retries_forever(self) -> None:
        """Even the ten-thousandth attempt gets a finite, capped delay."""
        assert retry_delay_s(10_000, Failure.NOT_FOUND) == MAX_DELAY_S

    def test_bluetooth_off_has_its_own_start_and_cap(self) -> None:
        """A switched-off adapter is polled slowly, up to its own cap."""
        assert retry_delay_s(1, Failure.BLUETOOTH_OFF) == FIRST_DELAY_S[Failure.BLUETOOTH_OFF]
        assert retry_delay_s(50, Failure.BLUETOOTH_OFF) == MAX_DELAY_BLUETOOTH_OFF_S

    def test_jitter_only_lengthens_within_its_fraction(self) -> None:
        """Jitter 0.5 adds half of the jitter fraction to the wait."""
        base = retry_delay_s(3, Failure.CONNECT_FAILED)
        assert retry_delay_s(3, Failure.CONNECT_FAILED, jitter=0.5) == pytest.approx(
            base * (1 + JITTER_FRACTION * 0.5)
        )

    def test_jitter_out_of_range_is_refused(self) -> None:
        """A jitter outside [0, 1) is a programming error and says so."""
        with pytest.raises(ValueError, match="jitter"):
            retry_delay_s(1, Failure.DROPPED, jitter=1.0)

    @given(
        attempt=st.integers(min_value=-5, max_value=10**6),
        failure=st.sampled_from(list(Failure)),
        jitter=st.floats(min_value=0.0, max_value=0.999),
    )
    def test_delay_is_positive_bounded_and_monotonic(
        self, attempt: int, failure: Failure, jitter: float
    ) -> None:
        """For any attempt the delay is positive, within the cap plus jitter, never shrinking."""
        delay = retry_delay_s(attempt, failure, jitter)
        cap = MAX_DELAY_BLUETOOTH_OFF_S if failure is Failure.BLUETOOTH_OFF else MAX_DELAY_S
        assert 0 < delay <= cap * (1 + JITTER_FRACTION)
        assert retry_delay_s(attempt + 1, failure, jitter) >= delay


class TestAdvice:
    def test_not_found_names_every_thing_to_check(self) -> None:
        """A strap never seen gets the full checklist: moist, no phone app, Bluetooth, battery."""
        text = advice(Failure.NOT_FOUND, "Polar H10 A1")
        for needle in ("Polar H10 A1", "moist", "phone", "Bluetooth is on", "battery"):
            assert needle in text

    def test_connect_failure_points_at_other_apps_first(self) -> None:
        """A strap seen but not connecting is most often held by a phone app; that comes first."""
        text = advice(Failure.CONNECT_FAILED)
        assert text.index("phone") < text.index("moist")

    def test_bluetooth_off_says_to_turn_it_on(self) -> None:
        """With Bluetooth off the advice is about the computer, not the strap."""
        assert "turn Bluetooth on" in advice(Failure.BLUETOOTH_OFF)

    def test_repeated_failures_say_it_keeps_trying(self) -> None:
        """After several attempts the person learns it is still trying."""
        assert "tried 4 times, still trying" in advice(Failure.DROPPED, attempts=4)

    def test_the_try_count_stands_inside_the_sentence_in_both_languages(self) -> None:
        """The try count comes before the failure's full stop, then the steps, in English
        and in German."""
        from flooding.io.locale_files import load_catalogue

        english = advice(Failure.NOT_FOUND, "Polar H10", attempts=3)
        assert english.startswith(
            "Cannot find your strap (Polar H10) (tried 3 times, still trying). Please wear"
        )
        german = advice(Failure.NOT_FOUND, "Polar H10", attempts=3, say=load_catalogue("de"))
        assert german.startswith(
            "Nicht zu finden: dein Gurt (Polar H10) (schon 3 Versuche, es wird weiter versucht)."
            " Bitte: "
        )

    def test_stall_keeps_the_strap_name_as_written(self) -> None:
        """The strap's name keeps its capitals in a sentence-initial position."""
        assert advice(Failure.STALLED, "Polar H10").startswith("Your strap (Polar H10)")


class TestFailureOfAnError:
    @pytest.mark.parametrize(
        ("name", "text", "failure"),
        [
            ("org.bluez.Error.Failed", "le-connection-abort-by-local", Failure.ABORTED),
            ("org.bluez.Error.Failed", "br-connection-canceled", Failure.ABORTED),
            ("org.bluez.Error.Failed", "Software caused connection abort", Failure.ABORTED),
            ("org.bluez.Error.InProgress", "In Progress", Failure.BUSY),
            ("org.bluez.Error.NotReady", "Resource Not Ready", Failure.BLUETOOTH_OFF),
            ("org.freedesktop.DBus.Error.UnknownObject", "no such object", Failure.DEVICE_GONE),
            ("org.freedesktop.DBus.Error.ServiceUnknown", "org.bluez", Failure.BLUETOOTH_OFF),
            (None, "No available connection slots", Failure.NO_SLOTS),
            (None, "Device with address X was not found", Failure.DEVICE_GONE),
            ("org.bluez.Error.Failed", "Input/output error", Failure.CONNECT_FAILED),
        ],
    )
    def test_each_bluez_error_has_its_kind(
        self, name: str | None, text: str, failure: Failure
    ) -> None:
        """BlueZ's errors map to the failure the person is told about, by name then text."""
        assert failure_of(name, text, Failure.CONNECT_FAILED) is failure

    def test_an_unknown_error_is_the_default_kind(self) -> None:
        """An error the table does not know is the caller's default (what was being tried)."""
        assert failure_of(None, "something new", Failure.STALLED) is Failure.STALLED

    def test_every_kind_has_a_first_delay_and_plain_advice(self) -> None:
        """No kind of failure is left without its own backoff and words for the person."""
        for failure in Failure:
            assert retry_delay_s(1, failure) == FIRST_DELAY_S[failure]
            assert advice(failure, "Polar H10").strip().endswith(".")

    def test_a_full_adapter_waits_longer_than_an_aborted_link(self) -> None:
        """Out of connection slots gives the controller seconds; an abort is retried at once."""
        assert retry_delay_s(1, Failure.NO_SLOTS) > 10 * retry_delay_s(1, Failure.ABORTED)
