from nemo.collections.nlp.data.language_modeling.lm_bert_dataset import BertPretrainingDataset, read_passages

__all__ = ["BertPretrainingDataset", "read_passages"]
