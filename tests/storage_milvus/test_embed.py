"""The default embedder: hashed character n-grams."""

from __future__ import annotations

import math
import os
import subprocess
import sys

from sync2nas_core import hookimpl
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.storage_milvus.embed import DIMENSION, embed_text, embed_texts


def cosine(a: str, b: str) -> float:
    return sum(x * y for x, y in zip(embed_text(a), embed_text(b), strict=True))


def test_vectors_have_a_fixed_dimension_unit_length_and_no_negative_part() -> None:
    for text in ["Attack on Titan", "", "進撃の巨人", "x" * 10_000, "S01E01 [1080p].mkv"]:
        vector = embed_text(text)
        assert len(vector) == DIMENSION
        assert math.isclose(math.fsum(x * x for x in vector), 1.0)
        assert min(vector) >= 0.0


def test_similar_names_are_closer_than_dissimilar_ones() -> None:
    assert cosine("Attack on Titan", "atack on titan") > 0.8
    assert cosine("Attack on Titan", "atack on titan") > cosine("Attack on Titan", "Titans") + 0.2
    assert cosine("Attack on Titan", "Breaking Bad") < 0.3
    assert cosine("Breaking Bad", "breking bad") > cosine("Breaking Bad", "Bad Banks")


def test_case_accents_and_punctuation_do_not_matter() -> None:
    assert math.isclose(cosine("Pokémon: Journeys!", "pokemon journeys"), 1.0)


def test_it_is_deterministic_across_processes() -> None:
    code = (
        "from sync2nas_plugins.storage_milvus.embed import embed_text; "
        "print(repr(embed_text('Frieren: Beyond Journey\\'s End')))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {repr(embed_text("Frieren: Beyond Journey's End")) + "\n"}
    assert embed_texts(["a", "b", "a"])[0] == embed_texts(["a"])[0]


class _ModelEmbedder:
    @hookimpl(tryfirst=True)
    def sync2nas_embed_text(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


def test_the_hook_defaults_to_it_and_any_other_embedder_wins() -> None:
    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": "storage_milvus"})
    assert manager.embed_text(["Attack on Titan"]) == [embed_text("Attack on Titan")]
    manager.register(_ModelEmbedder(), "model")
    assert manager.embed_text(["Attack on Titan"]) == [[1.0, 0.0]]
