// git
