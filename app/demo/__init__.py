"""Demo data for ``badges serve --demo`` (:func:`app.demo.loader.load_demo`), loaded through the
same services as the API: a bilingual university with achievements and credentials, and its
micro-credential program (:mod:`app.demo.program`)."""
