-- wrk script: POST a ~40-token OpenAI chat request (benign, so every guard runs to the end).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"model":"mock-1","messages":[{"role":"system","content":"You are a helpful assistant for a travel agency."},{"role":"user","content":"Please suggest three quiet places to stay near Lisbon in early spring, with a short reason for each one."}]}]]
