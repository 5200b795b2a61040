"""LLM oversight protocols on inspect-ai: naive and expert judges, consultancy, and debate (Irving et al. 2018,
Algorithm 18.7.1 of the textbook section; the information-asymmetric setup of Khan et al. 2024 on QuALITY).

Public API (inspect-ai is imported inside the functions; `proctor.debate.pixels` is the separate pixel debate):

    data.load_items(dataset, split=None, limit=None) -> [DebateItem]   QuALITY or question/choices/answer
    protocols.ProtocolConfig(protocol, rounds, sequential, swap, word_limit, logprobs, prompts, cache)
    protocols.protocol_task(items, cfg) -> inspect Task (roles judge, debater_a, debater_b, consultant)
    judged.run_protocol(items, cfg, roles, log_dir=, config=) -> (records, TaskRun)
    metrics.summarize_records(records) -> accuracy + CI, by_assignment, by_position, ECE, invalid, failed
    quotes.verify_quotes(text, passage) / QuoteChecker(passage).mark(text)   <quote> -> <v_quote> / <u_quote>
    elo.fit_bradley_terry(games) / elo.elo_ratings(games) ; tournament.run_tournament(items, players, judge)
    export.export_preferences(records, path)          judged debates as TRL prompt / chosen / rejected JSONL
    tasks: inspect entry points proctor/debate, proctor/consultancy, proctor/naive_judge, proctor/expert_judge
    cli.debate_app: `proctor debate --protocol ... --debater MODEL --judge MODEL --dataset ... [--json]`
    suite.TECHNIQUE: suite type "debate" (needs a judge model)
"""
