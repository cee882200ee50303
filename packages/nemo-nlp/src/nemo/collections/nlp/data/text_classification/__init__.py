from nemo.collections.nlp.data.text_classification.text_classification_dataset import (
    TextClassificationDataset,
    calc_class_weights,
    read_text_classification_file,
)

__all__ = ["TextClassificationDataset", "calc_class_weights", "read_text_classification_file"]
