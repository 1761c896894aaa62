# placeholder: the pytest plugin for program authors
