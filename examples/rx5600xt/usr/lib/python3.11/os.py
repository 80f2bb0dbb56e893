# stand-in so the prefix looks like a Python install
