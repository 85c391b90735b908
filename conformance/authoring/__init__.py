"""Assignment authoring (`scratch-cnn assignment`): a student starter for chosen components of
the book's API, its rubric and its autograder, from templates and the book-style solution."""
