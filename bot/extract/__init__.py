"""The extractor: a press release in, its clinical-trial events out.

Pure: no I/O, no clock, no module state. ``extract(release)`` segments the text,
runs the recognisers (drugs, phases, cohorts, doses, periods) over every sentence
once, applies the sentence-level rules of ``bot.extract.rules`` and merges what
they read into one event per fact, each with its evidence.
"""

from bot.extract.extractor import extract
from bot.extract.model import EXTRACTOR_VERSION, ReleaseInput
from bot.extract.render import key_facts, to_corpus, to_corpus_release

__all__ = [
    "EXTRACTOR_VERSION",
    "ReleaseInput",
    "extract",
    "key_facts",
    "to_corpus",
    "to_corpus_release",
]
