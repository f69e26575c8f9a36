"""Use cases: each public function is one unit of work the caller commits."""
