"""SQuAD v1.1/v2.0 JSON to BERT features: questions, whitespace words of the context, doc-stride windows, labels.

The steps are BERT's (which NeMo v1 kept): the context is split on whitespace into words (answers are projected onto
them by character offset), each word is sub-tokenized, and a context longer than the room left by
``[CLS] question [SEP] ... [SEP]`` is cut into windows ``doc_stride`` sub-tokens apart. A window is labelled with the
answer's first and last sub-token; a window that does not hold the whole answer, and an unanswerable (v2) question,
point both labels at ``[CLS]`` (position 0). Each token remembers whether this window gives it the most context on
both sides, so a span is predicted from one window only.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.utils import logging

__all__ = [
    "EVALUATION_MODE",
    "INFERENCE_MODE",
    "TRAINING_MODE",
    "InputFeatures",
    "SquadExample",
    "convert_examples_to_features",
    "read_squad_examples",
]

# NeMo v1's modes: training needs answers, evaluation keeps every gold answer, inference needs none.
TRAINING_MODE = "train"
EVALUATION_MODE = "eval"
INFERENCE_MODE = "infer"
_MODES = (TRAINING_MODE, EVALUATION_MODE, INFERENCE_MODE)


@dataclass
class SquadExample:
    """One question on one context; ``start_position``/``end_position`` index ``doc_tokens`` (-1 without answer)."""

    qas_id: str
    question_text: str
    doc_tokens: List[str]
    context_index: int
    answers: List[str] = field(default_factory=list)
    orig_answer_text: str = ""
    start_position: int = -1
    end_position: int = -1
    is_impossible: bool = False


@dataclass
class InputFeatures:
    """One window of one example: BERT inputs, the maps back to the context's words, and the labels."""

    example_index: int
    tokens: List[str]
    input_ids: List[int]
    segment_ids: List[int]
    token_to_orig_map: Dict[int, int]
    token_is_max_context: Dict[int, bool]
    start_position: int = 0
    end_position: int = 0


def _context_words(context: str) -> Tuple[List[str], List[int]]:
    """The whitespace-separated words of ``context`` and, per character, the index of its word."""
    words: List[str] = []
    char_to_word: List[int] = []
    previous_is_space = True
    for char in context:
        if char.isspace() or ord(char) == 0x202F:
            previous_is_space = True
        else:
            if previous_is_space:
                words.append(char)
            else:
                words[-1] += char
            previous_is_space = False
        char_to_word.append(len(words) - 1)
    return words, char_to_word


def _load(path: str) -> List[Dict[str, Any]]:
    """The ``data`` list (articles) of a SQuAD file."""
    if not path or not os.path.isfile(path):
        raise FileNotFoundError(f"SQuAD file {path!r} does not exist")
    text = Path(path).read_text(encoding="utf-8")
    try:
        content = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(content, dict) or not isinstance(content.get("data"), list):
        raise ValueError(f"{path}: expected SQuAD JSON {{'version': ..., 'data': [articles]}}")
    return content["data"]


def _field(item: Dict[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise ValueError(f"{where}: missing key {key!r} (has {sorted(item)})")
    return item[key]


def read_squad_examples(
    path: str, mode: str = TRAINING_MODE, version_2_with_negative: bool = False, num_samples: int = -1
) -> List[SquadExample]:
    """The questions of a SQuAD file (the first ``num_samples`` when > 0), in file order.

    Training uses the first answer of each question and skips (logging how many) answers that are not in the
    context at their ``answer_start``; an unanswerable question (``is_impossible``, v2 only) is refused unless
    ``version_2_with_negative``. Evaluation keeps every gold answer and labels with the first one.
    """
    if mode not in _MODES:
        raise ValueError(f"mode={mode!r}; expected one of {_MODES}")
    examples: List[SquadExample] = []
    skipped = 0
    context_index = -1
    for a, article in enumerate(_load(path)):
        for p, paragraph in enumerate(_field(article, "paragraphs", f"{path}: data[{a}]")):
            where = f"{path}: data[{a}].paragraphs[{p}]"
            context = _field(paragraph, "context", where)
            words, char_to_word = _context_words(context)
            context_index += 1
            for q, qa in enumerate(_field(paragraph, "qas", where)):
                qwhere = f"{where}.qas[{q}]"
                example = SquadExample(
                    qas_id=str(_field(qa, "id", qwhere)),
                    question_text=_field(qa, "question", qwhere),
                    doc_tokens=words,
                    context_index=context_index,
                )
                if mode != INFERENCE_MODE:
                    if not _label(example, qa, context, char_to_word, mode, version_2_with_negative, qwhere):
                        skipped += 1
                        continue
                examples.append(example)
                if 0 < num_samples <= len(examples):
                    return examples
    if skipped:
        logging.warning(f"{path}: skipped {skipped} training questions whose answer is not in the context")
    return examples


def _label(
    example: SquadExample,
    qa: Dict[str, Any],
    context: str,
    char_to_word: List[int],
    mode: str,
    version_2_with_negative: bool,
    where: str,
) -> bool:
    """Set the gold answers and word positions of ``example``; False when a training answer cannot be found."""
    answers = qa.get("answers") or []
    example.is_impossible = bool(qa.get("is_impossible", False))
    if example.is_impossible and not version_2_with_negative:
        raise ValueError(
            f"{where}: is_impossible question {example.qas_id!r} in a SQuAD v1.1 set; "
            "set model.dataset.version_2_with_negative: true for v2.0 data"
        )
    if example.is_impossible:
        example.answers = [""]
        return True
    if not answers:
        raise ValueError(f"{where}: question {example.qas_id!r} has no answers and is not is_impossible")
    example.answers = [_field(answer, "text", where) for answer in answers]
    answer = answers[0]
    text, start = answer["text"], int(_field(answer, "answer_start", where))
    if not text or not 0 <= start <= start + len(text) <= len(context):
        raise ValueError(f"{where}: answer_start {start} and text {text[:40]!r} fall outside the context")
    example.orig_answer_text = text
    example.start_position = char_to_word[start]
    example.end_position = char_to_word[start + len(text) - 1]
    found = " ".join(example.doc_tokens[example.start_position : example.end_position + 1])
    return mode != TRAINING_MODE or " ".join(text.split()) in found


def _improve_answer_span(
    doc_tokens: List[str], start: int, end: int, tokenizer: TokenizerSpec, answer_text: str
) -> Tuple[int, int]:
    """The sub-token span that matches the tokenized answer exactly (``1895`` inside ``(1895-1943)``), if any."""
    answer = " ".join(tokenizer.text_to_tokens(answer_text))
    for new_start in range(start, end + 1):
        for new_end in range(end, new_start - 1, -1):
            if " ".join(doc_tokens[new_start : new_end + 1]) == answer:
                return new_start, new_end
    return start, end


def _is_max_context(spans: List[Tuple[int, int]], span_index: int, position: int) -> bool:
    """Whether window ``span_index`` gives sub-token ``position`` the most context (min of left and right, ties to
    the longer window)."""
    best_score, best_index = None, None
    for index, (start, length) in enumerate(spans):
        end = start + length - 1
        if not start <= position <= end:
            continue
        score = min(position - start, end - position) + 0.01 * length
        if best_score is None or score > best_score:
            best_score, best_index = score, index
    return best_index == span_index


def _windows(num_tokens: int, max_tokens: int, doc_stride: int) -> List[Tuple[int, int]]:
    """``(start, length)`` of the windows over ``num_tokens`` context sub-tokens."""
    spans, start = [], 0
    while start < num_tokens:
        length = min(num_tokens - start, max_tokens)
        spans.append((start, length))
        if start + length == num_tokens:
            break
        start += min(length, doc_stride)
    return spans


def convert_examples_to_features(
    examples: List[SquadExample],
    tokenizer: TokenizerSpec,
    max_seq_length: int,
    doc_stride: int,
    max_query_length: int,
    mode: str = TRAINING_MODE,
) -> List[InputFeatures]:
    """One ``InputFeatures`` per window of every example (``[CLS] question [SEP] window [SEP]``, segment 1 from the
    window on); questions are cut to ``max_query_length`` sub-tokens."""
    special = {name: getattr(tokenizer, f"{name}_token", None) for name in ("cls", "sep")}
    if None in special.values():
        raise ValueError("SQuAD features need a tokenizer with [CLS] and [SEP] tokens")
    cls_token, sep_token = special["cls"], special["sep"]
    subtokenized: Dict[int, Tuple[List[str], List[int], List[int]]] = {}
    features: List[InputFeatures] = []
    for example_index, example in enumerate(examples):
        query = tokenizer.text_to_tokens(example.question_text)[:max_query_length]
        max_tokens_for_doc = max_seq_length - len(query) - 3
        if max_tokens_for_doc < 1:
            raise ValueError(
                f"model.dataset.max_seq_length={max_seq_length} leaves no room for the context after a question of "
                f"{len(query)} sub-tokens (max_query_length={max_query_length}); expected max_seq_length > "
                "max_query_length + 3"
            )
        if example.context_index not in subtokenized:  # the questions of one paragraph share its sub-tokens
            subtokenized.clear()
            subtokenized[example.context_index] = _subtokenize(example.doc_tokens, tokenizer)
        doc_tokens, tok_to_orig, orig_to_tok = subtokenized[example.context_index]
        tok_start = tok_end = -1
        if mode != INFERENCE_MODE and not example.is_impossible:
            tok_start = orig_to_tok[example.start_position]
            last = example.end_position + 1
            tok_end = orig_to_tok[last] - 1 if last < len(example.doc_tokens) else len(doc_tokens) - 1
            tok_start, tok_end = _improve_answer_span(
                doc_tokens, tok_start, tok_end, tokenizer, example.orig_answer_text
            )
        spans = _windows(len(doc_tokens), max_tokens_for_doc, doc_stride)
        for span_index, (span_start, length) in enumerate(spans):
            tokens = [cls_token, *query, sep_token]
            offset = len(tokens)
            token_to_orig_map, token_is_max_context = {}, {}
            for i in range(length):
                position = span_start + i
                token_to_orig_map[offset + i] = tok_to_orig[position]
                token_is_max_context[offset + i] = _is_max_context(spans, span_index, position)
            tokens += doc_tokens[span_start : span_start + length] + [sep_token]
            feature = InputFeatures(
                example_index=example_index,
                tokens=tokens,
                input_ids=tokenizer.tokens_to_ids(tokens),
                segment_ids=[0] * offset + [1] * (length + 1),
                token_to_orig_map=token_to_orig_map,
                token_is_max_context=token_is_max_context,
            )
            span_end = span_start + length - 1
            if tok_start >= 0 and span_start <= tok_start and tok_end <= span_end:
                feature.start_position = tok_start - span_start + offset
                feature.end_position = tok_end - span_start + offset
            features.append(feature)
    return features


def _subtokenize(words: List[str], tokenizer: TokenizerSpec) -> Tuple[List[str], List[int], List[int]]:
    """``(sub-tokens, word index of each sub-token, first sub-token of each word)``."""
    tokens: List[str] = []
    tok_to_orig: List[int] = []
    orig_to_tok: List[int] = []
    for index, word in enumerate(words):
        orig_to_tok.append(len(tokens))
        pieces = tokenizer.text_to_tokens(word)
        tokens.extend(pieces)
        tok_to_orig.extend([index] * len(pieces))
    return tokens, tok_to_orig, orig_to_tok
