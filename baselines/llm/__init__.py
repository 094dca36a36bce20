"""The ``llm`` baseline: a plain language model writes Manim CE code from the description.

``submission`` is the registered submission; ``config`` parses its arguments;
``prompting`` builds the conversation and extracts the code; ``backend``
defines the backend interface, implemented by ``hf`` (a local ``transformers``
model) and ``openai_server`` (an OpenAI-compatible server); ``cache`` keeps
replies on disk.  Nothing heavy is imported until a backend is built.
"""
