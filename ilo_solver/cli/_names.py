"""The names the parsers offer as choices, written here so that ``ilo COMMAND --help`` and every argument error come
before torch and the library are imported (they took 5-10 s). ``tests/unit/test_cli_commands.py`` checks each list
against the library's own, so the two cannot drift apart."""
TASKS = ("inpaint", "denoise", "superres", "cs-gaussian", "cs-circulant")          # ilo_solver.physics.tasks.TASKS
MEASUREMENTS = ("cs-gaussian", "cs-circulant")                                     # ilo_solver.solvers.srec
CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle-boot")                                                           # ilo_solver.priors.classifiers
# ilo_solver.presets.methods(prior)
METHODS = {"dcgan-faces": ("csgm", "ilo", "unconstrained", "sgilo", "bicubic", "fill", "tv", "nlmeans", "lstsq",
                           "deep-decoder", "lasso-dct", "lasso-wavelet"),
           "stylegan2": ("csgm", "pulse", "ilo", "unconstrained", "bicubic", "fill", "tv", "nlmeans", "lstsq",
                         "deep-decoder", "lasso-dct", "lasso-wavelet")}
