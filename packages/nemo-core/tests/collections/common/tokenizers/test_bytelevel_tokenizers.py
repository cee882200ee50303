import torch

from nemo.collections.common.tokenizers import ByteLevelTokenizer


def test_utf8_bytes_round_trip_and_special_ids():
    tok = ByteLevelTokenizer()
    ids = tok.text_to_ids("héllo 中")
    assert ids == list("héllo 中".encode()) and tok.text_to_tokens("a") == [97]
    assert tok.ids_to_text([tok.bos_id] + ids + [tok.eos_id, tok.pad_id]) == "héllo 中"
    assert tok.ids_to_text(torch.tensor(ids[:-1])) == "héllo "  # a cut-off character is dropped
    assert (tok.vocab_size, tok.pad_id, tok.bos_id, tok.eos_id, tok.unk_id) == (259, 256, 257, 258, None)
    assert tok.tokens_to_ids(5) == [5] and tok.ids_to_tokens([1, 2]) == [1, 2] and tok.tokens_to_text([104]) == "h"
