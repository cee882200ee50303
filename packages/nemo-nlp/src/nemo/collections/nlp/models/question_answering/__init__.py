from nemo.collections.nlp.models.question_answering.qa_model import QAModel

__all__ = ["QAModel"]
