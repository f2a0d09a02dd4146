"""``sync2nas parse`` through the real command line and plugin manager."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from sync2nas_core import ParsedName, hookimpl
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.routing.commands import parsed_to_json
from sync2nas_plugins.routing.parser import parse_name
from tests.routing.test_parser import NAMES

KEYS = ["title", "alternative_titles", "season", "episode", "absolute_episode", "year",
        "country", "release_group", "resolution", "extension", "crc32", "kind", "air_date",
        "confidence", "reasons"]

THIRD_PARTY_PARSER = '''
from sync2nas_core import ParsedName, hookimpl

@hookimpl(tryfirst=True)
def sync2nas_parse_filename(name):
    if name.startswith("MyRip_"):
        return ParsedName(title=name[6:-4], kind="movie", release_group="MyRip")
'''


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_json_keys_values_and_multi_episode_lists(run_cli, in_tmp_dir):
    result = run_cli("parse", "--json", "[SubsPlease] Kaiju No. 8 - 03 (1080p) [ABCDEF12].mkv",
                     "Friends.S10E17-E18.The.Last.One.720p.BluRay.x264-PSYCHD.mkv",
                     "Show.Name.S01.1080p.BluRay.x264-GRP",
                     "The.Daily.Show.2024.03.01.1080p.WEB.h264-GRP.mkv")
    assert result.exit_code == 0, result.output
    kaiju, friends, pack, dated = json_lines(result.output)
    assert list(kaiju) == KEYS
    assert kaiju == {
        "title": "Kaiju No. 8", "alternative_titles": [], "season": None, "episode": 3,
        "absolute_episode": 3,
        "year": None, "country": None, "release_group": "SubsPlease", "resolution": "1080p",
        "extension": "mkv", "crc32": "ABCDEF12", "kind": "episode", "air_date": None,
        "confidence": 0.9, "reasons": ["title 'Kaiju No. 8'", "absolute episode 03 (no season)"],
    }
    assert (friends["season"], friends["episode"]) == (10, [17, 18])
    assert (pack["season"], pack["episode"], pack["kind"]) == (1, None, "episode")
    assert (dated["title"], dated["air_date"]) == ("The Daily Show", "2024-03-01")


def test_json_and_human_output_show_the_other_titles(run_cli, in_tmp_dir):
    name = "[Grp] 進撃の巨人 / Attack on Titan - 07 [1080p].mkv"
    answer, = json_lines(run_cli("parse", "--json", name).output)
    assert (answer["title"], answer["alternative_titles"]) == ("Attack on Titan", ["進撃の巨人"])
    shown = run_cli("parse", "Shingeki no Kyojin / Attack on Titan - 07.mkv").output
    assert "alternative_titles=Shingeki no Kyojin | Attack on Titan," in shown


def test_stdin_names_come_back_in_order(run_cli, in_tmp_dir):
    names = [row[0] for row in NAMES] + ["---.nfo", ""]  # nothing to read
    result = run_cli("parse", "--json", "-", input="\n".join(names) + "\n")
    assert result.exit_code == 0, result.output
    answers = json_lines(result.output)
    assert len(answers) == len(names)
    for name, answer in zip(names[:-2], answers[:-2], strict=True):
        assert answer == parsed_to_json(parse_name(name)), name
    assert answers[-2] == answers[-1] == dict.fromkeys(KEYS) | {
        "alternative_titles": [], "kind": "unknown", "confidence": 0.0,
        "reasons": ["no title in the name"]}


def test_human_output_names_each_release(run_cli, in_tmp_dir):
    result = run_cli("parse", "Dexter.S08E11-E12.720p.HDTV.x264-IMMERSE.mkv",
                     "[Group] Made in Abyss - NCOP [BD 1080p].mkv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Dexter.S08E11-E12.720p.HDTV.x264-IMMERSE.mkv",
        "  title=Dexter, season=8, episode=11-12, release_group=IMMERSE, resolution=720p, "
        "extension=mkv, kind=episode",
        "[Group] Made in Abyss - NCOP [BD 1080p].mkv",
        "  title=Made in Abyss, release_group=Group, resolution=1080p, extension=mkv, "
        "kind=special",
    ]


def test_parse_needs_a_name(run_cli, in_tmp_dir):
    result = run_cli("parse")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_a_third_party_parser_wins_and_ours_answers_the_rest(run_cli, in_tmp_dir, fake_site):
    fake_site.install("sync2nas-myrip", {"myrip_parser": THIRD_PARTY_PARSER},
                      {"myrip": "myrip_parser"})
    result = run_cli("parse", "--json", "MyRip_Some Film.mkv", "Show.S01E02.mkv")
    assert result.exit_code == 0, result.output
    theirs, ours = json_lines(result.output)
    assert (theirs["title"], theirs["kind"], theirs["release_group"]) == (
        "Some Film", "movie", "MyRip")
    assert (ours["title"], ours["season"], ours["episode"]) == ("Show", 1, 2)


class TryFirstParser:
    @hookimpl(tryfirst=True)
    def sync2nas_parse_filename(self, name):
        return ParsedName(title="theirs") if "theirs" in name else None


def test_sync2nas_parse_filename_bundled_implementation_is_tried_last():
    from sync2nas_core import builtin

    manager = create_plugin_manager(
        environ={"SYNC2NAS_LOAD_PLUGINS": "routing"},
        builtins=[("core", builtin), ("theirs", TryFirstParser())],
    )
    assert manager.parse_filename("theirs.S01E01.mkv") == ParsedName(title="theirs")
    assert manager.parse_filename("Show.S01E01.mkv").title == "Show"
    assert manager.parse_filename("Show.S01E01.nfo").title == "Show"  # any name is read
    assert manager.parse_filename("---.nfo") is None  # but one with nothing to read


def test_console_script_reads_stdin(in_tmp_dir):
    names = ["Show.Name.S01E02.1080p.WEB.h264-GRP.mkv", "[Grp] Show - 05v2 [720p].mkv",
             "Show.Name.2024.03.01.1080p.WEB.h264-GRP.mkv"]
    done = subprocess.run(
        [sys.executable, "-m", "sync2nas_core", "parse", "--json", "-"],
        input="\n".join(names), capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = json_lines(done.stdout)
    assert [(a["season"], a["episode"], a["absolute_episode"]) for a in answers] == [
        (1, 2, None), (None, 5, 5), (None, None, None)]
    assert answers[2]["year"] == 2024


def test_import_of_the_plugin_does_not_compile_the_parser():
    code = ("import sys, sync2nas_plugins.routing; "
            "print('sync2nas_plugins.routing.parser' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "False"


def test_a_hostile_name_of_98_kb_is_parsed_at_once(run_cli, in_tmp_dir):
    started = time.perf_counter()
    result = run_cli("parse", "--json", "Show.S01E01.mkv", "(2019) " * 14000)
    assert time.perf_counter() - started < 2.0
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert len(answers) == 2
    assert (answers[0]["title"], answers[0]["season"], answers[0]["episode"]) == ("Show", 1, 1)
    assert answers[1]["year"] == 2019
