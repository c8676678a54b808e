"""MedGround's chat app: Gradio UI and the grounded answering pipeline."""
