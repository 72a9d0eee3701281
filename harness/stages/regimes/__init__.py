"""The regime map (issue 24): where pre-training pays, over demonstrator quality and a new
task, beside the dataset-size study."""
