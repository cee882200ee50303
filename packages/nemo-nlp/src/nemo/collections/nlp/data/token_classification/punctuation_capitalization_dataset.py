"""Punctuation and capitalization data in NeMo v1's format: ``text.txt`` (lower-cased words) and ``labels.txt``.

Line *i* of the labels file has one two-character label per word of line *i* of the text file: the punctuation mark
that follows the word (``O`` for none) then its case (``U`` capitalised, ``O`` not), e.g. ``OU OO ,O OO .O``. Each
word's two labels go to its first sub-token (and, unless ``ignore_extra_tokens``, to the others as well); the two
label sets get their own ids (``punct_label_ids``, ``capit_label_ids``, the pad label first).
"""

from typing import Dict, List, Optional, Tuple

from nemo.collections.common.tokenizers.tokenizer_spec import TokenizerSpec
from nemo.collections.nlp.data.token_classification.token_classification_dataset import (
    BertTokenClassificationInferDataset,
    LabelledTokenDataset,
    get_label_ids,
    label_id_lines,
    read_token_classification_files,
)

__all__ = [
    "BertPunctuationCapitalizationDataset",
    "BertPunctuationCapitalizationInferDataset",
    "read_punct_capit_files",
]

# v1's inference dataset gives the same batches as the token classification one: (input_ids, segment_ids,
# input_mask, subtokens_mask).
BertPunctuationCapitalizationInferDataset = BertTokenClassificationInferDataset


def _check_punct_capit_label(label: str) -> Optional[str]:
    if len(label) != 2:
        return "expected two characters, the mark after the word (or O) then its case (U or O), e.g. ',U' or 'OO'"
    return None


def read_punct_capit_files(
    text_file: str, labels_file: str
) -> Tuple[List[List[str]], List[List[str]], List[List[str]]]:
    """``(words, punctuation labels, capitalization labels)`` per non-empty line; a label that is not two
    characters, or a line whose label count differs from its word count, is refused naming ``file:line``."""
    words, tags = read_token_classification_files(text_file, labels_file, _check_punct_capit_label)
    return words, [[t[0] for t in line] for line in tags], [[t[1] for t in line] for line in tags]


class BertPunctuationCapitalizationDataset(LabelledTokenDataset):
    """Labelled examples; batches ``(input_ids, segment_ids, input_mask, subtokens_mask, loss_mask, punct_labels,
    capit_labels)`` (v1's order)."""

    label_keys = ("punct_labels", "capit_labels")

    def __init__(
        self,
        text_file: str,
        label_file: str,
        max_seq_length: Optional[int],
        tokenizer: TokenizerSpec,
        num_samples: int = -1,
        pad_label: str = "O",
        punct_label_ids: Optional[Dict[str, int]] = None,
        capit_label_ids: Optional[Dict[str, int]] = None,
        ignore_extra_tokens: bool = False,
        ignore_start_end: bool = False,
    ) -> None:
        """v1's arguments (in v1's order); label ids not given are computed from these labels (``pad_label``
        first), as v1 does for its training set."""
        words, punct, capit = read_punct_capit_files(text_file, label_file)
        if num_samples is not None and num_samples > 0:
            words, punct, capit = words[:num_samples], punct[:num_samples], capit[:num_samples]
        self.punct_label_ids = dict(punct_label_ids or get_label_ids(punct, pad_label))
        self.capit_label_ids = dict(capit_label_ids or get_label_ids(capit, pad_label))
        label_sets = [
            label_id_lines(f"{label_file} (punctuation)", punct, self.punct_label_ids),
            label_id_lines(f"{label_file} (capitalization)", capit, self.capit_label_ids),
        ]
        self._encode_labelled(
            tokenizer, text_file, words, label_sets, max_seq_length, ignore_extra_tokens, ignore_start_end
        )
